# category: memory bomb
# expect: memory
# Grows a list of 10 MB strings.
x = []
while True:
    x.append(b" " * 10**7)
