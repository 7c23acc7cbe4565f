import time
from hypothesis.stateful import run_state_machine_as_test
from hypothesis import settings
import tests.ledger.test_stateful as t

def test_probe():
    n={"init":0}
    class M(t.LedgerMachine):
        backend="postgresql"
        def __init__(self):
            n["init"]+=1; super().__init__()
    t0=time.time()
    run_state_machine_as_test(M, settings=settings(t.SETTINGS, database=None))
    print("PROBE", n, time.time()-t0)
