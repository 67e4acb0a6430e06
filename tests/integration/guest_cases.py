"""guest_cases.py: integration cases that run the guest OS's in-guest tests.
(Filled in with the guest OS proper.)"""


def guest_cases():
    return []
