# category: ctypes
# expect: refused
# ctypes.CDLL(None).system(...) to run a shell command.
import ctypes
ctypes.CDLL(None).system(b"touch __WATCH_DIR__/pwned.txt")
