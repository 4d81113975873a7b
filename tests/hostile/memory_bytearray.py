# category: memory bomb
# expect: memory
# One 8 GiB bytearray.
x = bytearray(8 * 1024**3)
