"""Demo and scale data, built by calling services (so seeded data obeys the same rules).

`python -m seed demo` seeds the demo district and its sign-ins (see `seed.demo.DEMO_ACCOUNTS`);
`python -m seed scale --households N` builds a large synthetic district for benchmarks.
seed.bulk holds the benchmarks' other data sets (bench/ imports them): like seed.scale they are
bulk-inserted to the rules the services enforce, the one place outside the models that knows
the tables' columns.
"""

from __future__ import annotations

from seed.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from seed.scale import seed_scale

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "seed_demo", "seed_scale"]
