"""Value pools of the synthetic records: Faker ``zh_CN`` draws once per seed, and the fixed pools.

Names, addresses, post codes, companies and e-mail user names come from small Faker pools drawn
once per seed (first-seen order, no set order); e-mail domains are the reserved ``example.*``
names (RFC 2606), so no address can be a real mailbox.
"""

from __future__ import annotations

import re

from jobs.synth.contract import FULLWIDTH_TO_ASCII, T2S_PROTECTED, WHITESPACE, converter

#: Reserved example domains (RFC 2606) of every synthetic e-mail address.
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")


def faker_pools(seed: int) -> dict[str, tuple[str, ...]]:
    """Draw the small value pools once per seed (Faker ``zh_CN``; first-seen order, no set order)."""
    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    t2s = converter("t2s")

    def draw(fn, n: int, ok) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for _ in range(n * 20):
            v = fn()
            if ok(v):
                seen.setdefault(v, None)
                if len(seen) == n:
                    break
        return tuple(seen)

    def plain(v: str) -> bool:
        return bool(v) and v.translate(FULLWIDTH_TO_ASCII) == v and not WHITESPACE.search(v) and not set(v) & set(',"&<>')

    names = draw(fake.name, 3000, lambda v: plain(v) and t2s.convert(v) == v and not set(v) & T2S_PROTECTED)
    addresses = draw(lambda: fake.address().rsplit(" ", 1)[0], 2000, plain)
    return {
        "names": names,
        "addresses": addresses,
        "postcodes": draw(fake.postcode, 300, str.isdigit),
        "companies": draw(fake.company, 300, plain),
        "user_names": draw(fake.user_name, 1000, lambda v: re.fullmatch(r"[a-z][a-z0-9._]*", v) is not None),
    }
