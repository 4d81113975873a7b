# category: ctypes
# expect: refused
# ctypes.pythonapi, loaded before the audit hook: looks up a C function.
import ctypes
ctypes.pythonapi.PyRun_SimpleString(b"import os; os.system('touch __WATCH_DIR__/pwned.txt')")
