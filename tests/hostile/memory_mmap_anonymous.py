# category: memory bomb
# expect: memory
# An 8 GiB anonymous mmap.
import mmap
m = mmap.mmap(-1, 8 * 1024**3)
m[:] = b"\0" * len(m)
