"""Service requests after a purchase, and whether the channel asked can see the order's record.

After a purchase a share of orders brings a service request (where is my order, change or
cancel, warranty or repair, price adjustment; ``behaviour.service_request_rate`` per order). A
share of them is made in another channel than the one the order was bought in
(``service_request_elsewhere_share``: calling or visiting the store about an online order,
asking the app about a store purchase). Siloed channels cannot see each other's records, so such
a request is *unseen*, unless the plan's ``service`` capability shares the records and the
customer is recognised across channels (identity as the gate, :mod:`simulation.core.recognition`):
it is seen with chance ``service x recognised``. A request is resolved at the first contact with
chance ``first_contact_resolution`` where the record is seen and
``unseen_first_contact_resolution`` where it is not. Of the requests not resolved at the first
contact, ``service_request_abandon_share`` are given up (left unresolved, satisfaction down by
``unresolved_request_satisfaction_loss``); the others are resolved at a second contact in a channel
that sees the order (satisfaction down by ``repeat_contact_satisfaction_loss``). Each contact costs
``economics.service_contact_cost``, a valuation parameter applied after the run.

:func:`service_requests` is pure: it reads the draws and returns each request's outcome;
:class:`simulation.core.engine.Simulation` writes them into the state and tallies. Every
decision has its own hashed stream (``Draw.SERVICE_*``, step = which of the person's journeys
that week bought), shared by every plan; at a request rate of 0 nothing is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation.core.random_streams import Draw, RandomStreams
from simulation.core.scenario import Behaviour
from simulation.core.tallies import Tally

SERVICE_TALLIES = [Tally.SERVICE_REQUESTS, Tally.SERVICE_REQUESTS_ELSEWHERE, Tally.SERVICE_REQUESTS_UNSEEN,
                   Tally.SERVICE_UNRESOLVED_FIRST_CONTACT, Tally.SERVICE_REQUESTS_ABANDONED,
                   Tally.SERVICE_CONTACTS]
"""What :meth:`ServiceRequests.rows` counts per request, in its row order."""

_OUTCOME_DRAWS = (Draw.SERVICE_ELSEWHERE, Draw.SERVICE_RECORD_SEEN, Draw.SERVICE_RESOLVED,
                  Draw.SERVICE_ABANDON)


@dataclass(frozen=True)
class ServiceRequests:
    """Outcome of the service requests among B orders; arrays of shape (R,) over the R requests."""

    at: NDArray[np.int64]
    """Positions (among the B orders) of the orders that brought a request, ascending."""
    elsewhere: NDArray[np.bool_]
    """Made in another channel than the order's."""
    unseen: NDArray[np.bool_]
    """Made where the order's record cannot be seen (elsewhere, and not shared by service)."""
    unresolved_first: NDArray[np.bool_]
    """Not resolved at the first contact."""
    abandoned: NDArray[np.bool_]
    """Given up after the first contact, left unresolved."""
    contacts: NDArray[np.int64]
    """Contacts the request took: 1, or 2 when resolved at a second contact."""
    satisfaction_loss: NDArray[np.float64]
    """Satisfaction the request cost (score, >= 0)."""

    def rows(self) -> NDArray[np.float64]:
        """(len(SERVICE_TALLIES), R) per-request counts, in :data:`SERVICE_TALLIES` order."""
        return np.stack([np.ones(self.at.size), self.elsewhere, self.unseen, self.unresolved_first,
                         self.abandoned, self.contacts]).astype(np.float64)


def requesting(behaviour: Behaviour, streams: RandomStreams, week: int, repeat: int,
               person: NDArray[np.int64]) -> NDArray[np.int64]:
    """Positions of the orders of ``person`` (bought in ``week``, journey ``repeat``) that bring a request."""
    u = streams.uniform(Draw.SERVICE_REQUEST, week, repeat, person)
    return (u < behaviour.service_request_rate).nonzero()[0]


def service_requests(behaviour: Behaviour, n_channels: int, streams: RandomStreams, week: int,
                     repeat: int, person: NDArray[np.int64], at: NDArray[np.int64],
                     shared: NDArray[np.float64]) -> ServiceRequests:
    """The outcome of the requests ``at`` (from :func:`requesting`) among orders of ``person``.

    Parameters
    ----------
    behaviour:
        The scenario's behaviour parameters.
    n_channels:
        Channels of the business (with one there is no other channel to ask).
    streams, week, repeat:
        The run's random streams, the week and which of the person's journeys that week bought.
    person:
        (B,) the person of each order.
    at:
        (R,) positions of the orders that brought a request.
    shared:
        (R,) chance another channel sees the order's record: the plan's service level this week
        if the person is recognised across channels, else 0.
    """
    u = streams.uniform_block([(kind, repeat) for kind in _OUTCOME_DRAWS], week, person.take(at))
    elsewhere = u[0] < (behaviour.service_request_elsewhere_share if n_channels > 1 else 0.0)
    unseen = elsewhere & (u[1] >= shared)
    resolved = u[2] < np.where(unseen, behaviour.unseen_first_contact_resolution,
                               behaviour.first_contact_resolution)
    unresolved_first = ~resolved
    abandoned = unresolved_first & (u[3] < behaviour.service_request_abandon_share)
    repeated = unresolved_first & ~abandoned
    return ServiceRequests(
        at=at, elsewhere=elsewhere, unseen=unseen, unresolved_first=unresolved_first,
        abandoned=abandoned, contacts=1 + repeated.astype(np.int64),
        satisfaction_loss=(behaviour.repeat_contact_satisfaction_loss * repeated
                           + behaviour.unresolved_request_satisfaction_loss * abandoned),
    )


__all__ = ["SERVICE_TALLIES", "ServiceRequests", "requesting", "service_requests"]
