# category: ctypes
# expect: refused
# Reads raw memory with from_address.
import ctypes
print(ctypes.c_char.from_address(id(object())).value)
