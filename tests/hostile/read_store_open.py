# category: read files
# expect: refused
# Reads the conversation store file byte by byte.
print(open("__STORE__", "rb").read())
