# category: network
# expect: refused
# urllib to the server's port.
import urllib.request
print(urllib.request.urlopen("http://127.0.0.1:__PORT__/", timeout=1).read())
