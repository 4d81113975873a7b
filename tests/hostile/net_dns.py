# category: network
# expect: refused
# A DNS lookup.
import socket
print(socket.gethostbyname("localhost"))
