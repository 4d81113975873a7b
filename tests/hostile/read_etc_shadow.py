# category: read files
# expect: refused
# Reads /etc/shadow: readable when the server runs as root.
print(open("/etc/shadow").read())
