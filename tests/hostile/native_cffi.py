# category: ctypes
# expect: refused
# cffi: its own dlopen, no ctypes audit event.
import cffi
ffi = cffi.FFI()
ffi.cdef("int system(const char *);")
ffi.dlopen(None).system(b"touch __WATCH_DIR__/pwned.txt")
