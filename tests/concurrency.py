"""Running one piece of work from many threads at once, as concurrent requests would."""

import threading

from django.db import connection


def run_in_threads(count: int, target) -> list:
    """Runs `target` in `count` threads released together by a barrier; returns their results.

    Each thread has its own database connection (closed when it ends), so the threads race on
    PostgreSQL exactly as separate requests would.
    """
    results, barrier, lock = [], threading.Barrier(count), threading.Lock()

    def worker():
        try:
            barrier.wait()
            result = target()
            with lock:
                results.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
