"""GET /pow_challenge: a proof-of-work challenge for one entry (lambdas/waiting_room/proof_of_work.py).

With the proof of work off the answer is `{"difficulty": 0}`, the same for everyone, and the CDN
keeps it; a challenge is unique and goes out with `Cache-Control: no-store`.
"""

from lambdas.waiting_room import proof_of_work
from lambdas.waiting_room.http import NO_STORE, api_handler, query, response
from lambdas.waiting_room.registry import require_event


@api_handler
def handler(event, context):
    registered = require_event(query(event))
    event_id, difficulty = registered.event_id, registered.pow_difficulty
    if difficulty <= 0:
        return response(200, {"difficulty": 0})
    key = proof_of_work.signing_key(event_id)
    return response(200, proof_of_work.issue(key, event_id, difficulty), NO_STORE)
