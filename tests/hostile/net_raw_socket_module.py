# category: network
# expect: refused
# Connects through the C module _socket directly.
import _socket
s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
s.connect(("127.0.0.1", __PORT__))
