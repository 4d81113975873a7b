# category: infinite loop
# expect: timeout
# A plain infinite loop: ends on the CPU limit or the wall clock, whichever the platform hits first.
while True:
    pass
