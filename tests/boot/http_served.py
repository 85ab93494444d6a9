"""What an HTTP server in a guest must serve through QEMU's hostfwd (nginx,
Python's http.server): every file byte for byte, fetched first alone then all
at once, and a 404 for a missing one."""

import threading
import time
import urllib.error
import urllib.request


def check_served(url, want):
    """GETs every path in want (path -> bytes) from url and compares; then
    /missing.html must be a 404, whose body is returned."""
    got, errors = {}, []

    def fetch(name):
        for attempt in range(50):
            try:
                got[name] = urllib.request.urlopen(url + name, timeout=30).read()
                return
            except (ConnectionError, urllib.error.URLError) as e:
                # hostfwd accepts before the server listens: retry briefly.
                if attempt == 49 or isinstance(e, urllib.error.HTTPError):
                    errors.append((name, e))
                    return
                time.sleep(0.2)
    first = next(iter(want))
    fetch(first)
    threads = [threading.Thread(target=fetch, args=(n,)) for n in want if n != first]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for name, data in want.items():
        assert got[name] == data, "GET %s: %d bytes back, %d expected" % (name, len(got[name]), len(data))
    try:
        urllib.request.urlopen(url + "/missing.html", timeout=30)
    except urllib.error.HTTPError as e:
        assert e.code == 404, e.code
        return e.read()
    raise AssertionError("GET /missing.html did not fail")
