# Runs Locust's own UsersDispatcher (python3-locust) on each scenario of a
# JSON list read from stdin and prints, per scenario, the per-worker,
# per-class counts after each step as JSON. Used by TestExtendMatchesLocust as the oracle.
import json
import sys

from locust import User
from locust.dispatch import UsersDispatcher
from locust.runners import WorkerNode


def run(spec):
    classes = [
        type(c["name"], (User,), {"weight": c.get("weight", 1), "fixed_count": c.get("fixed", 0), "abstract": False})
        for c in spec["classes"]
    ]
    by_name = {c.__name__: c for c in classes}
    workers = [WorkerNode(str(i)) for i in range(spec.get("workers", 1))]
    d = UsersDispatcher(worker_nodes=workers, user_classes=classes)
    out = []
    for step in spec["steps"]:
        listed = [by_name[n] for n in step["classes"]] if step.get("classes") else None
        d.new_dispatch(step["users"], 1e9, listed)
        last = None
        for last in d:
            pass
        out.append([[last[w.id][c.__name__] for c in classes] for w in workers])
    return out


print(json.dumps([run(spec) for spec in json.load(sys.stdin)]))
