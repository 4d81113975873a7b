# category: network
# expect: refused
# A UDP datagram to loopback.
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"hello", ("127.0.0.1", __PORT__))
