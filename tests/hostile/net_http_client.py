# category: network
# expect: refused
# http.client to the server's port.
import http.client
c = http.client.HTTPConnection("127.0.0.1", __PORT__, timeout=1)
c.request("GET", "/")
print(c.getresponse().read())
