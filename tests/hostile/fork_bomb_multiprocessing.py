# category: fork bomb
# expect: refused
# A fork bomb through multiprocessing.
import multiprocessing

def bomb():
    while True:
        multiprocessing.Process(target=bomb).start()

bomb()
