# category: ctypes
# expect: refused
# ctypes.memset over an object's memory (a preloaded foreign function).
import ctypes
x = [1, 2, 3]
ctypes.memset(id(x), 0, 64)
