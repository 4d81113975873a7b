# category: network
# expect: refused
# A TCP connection to a port the server listens on.
import socket
s = socket.create_connection(("127.0.0.1", __PORT__), timeout=1)
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
