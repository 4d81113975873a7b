# category: read environment
# expect: confined, refused
# Reads /proc/self/environ (its own, clean environment).
print(open("/proc/self/environ", "rb").read())
