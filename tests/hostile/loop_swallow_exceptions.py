# category: infinite loop
# expect: timeout
# Catches every exception (KeyboardInterrupt, SystemExit) and keeps spinning.
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
