# category: read files
# expect: refused
# Reads the key file relative to a descriptor of a directory above it.
import os
fd = os.open("__LINGXI_HOME__/..", os.O_RDONLY)
rel = "__SECRET_FILE__".split("/")[-3:]
print(os.read(os.open("/".join(rel), os.O_RDONLY, dir_fd=fd), 1000))
