"""Counts the cases of one e2e suite by running it: a test with subTests counts each distinct subTest, a test
without counts once. Usage (with the e2e environment of tests/e2e/meson.build: LOAN_PROCESSOR_BIN, ...):
    for s in input language auth http api; do python3 tests/e2e/count_hostile_cases.py tests/e2e/test_hostile_$s.py; done
The count is printed on stderr after the suite's TAP lines."""
import os
import runpy
import sys
import unittest

sys.path.insert(0, os.path.dirname(sys.argv[1]))
tests, subtests = set(), set()
original_subtest = unittest.TestCase.subTest
def counting_subtest(self, msg=unittest.case._subtest_msg_sentinel, **params):
    subtests.add((self.id(), repr(msg), repr(sorted(params.items()))))
    return original_subtest(self, msg, **params)
unittest.TestCase.subTest = counting_subtest
original_run = unittest.TestCase.run
def counting_run(self, result=None):
    tests.add(self.id())
    return original_run(self, result)
unittest.TestCase.run = counting_run
try:
    sys.argv = [sys.argv[1]]
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit:
    pass
with_subtests = {s[0] for s in subtests}
print(f"COUNT {os.path.basename(sys.argv[0])}: {len(tests)} tests, {len(subtests)} subTests, "
      f"{len(tests - with_subtests) + len(subtests)} cases (a test without subTests counts once)", file=sys.stderr)
