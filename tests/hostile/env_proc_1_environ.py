# category: read environment
# expect: refused
# Reads the environment of process 1.
print(open("/proc/1/environ", "rb").read())
