"""GET /expired_tokens (private): request ids whose token expired, one page at a time.

The body is a JSON array of request ids, as the retired control panel reads it (it shows the
array's length); the next page's cursor is in the `X-Next-Cursor` header, absent on the last page.
"""

import time

from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import (
    NEXT_CURSOR_HEADER,
    HttpError,
    api_handler,
    query,
    require_event_id,
    response,
)
from lambdas.waiting_room.records import BadCursor, expired_token_page
from lambdas.waiting_room.settings import settings

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


@api_handler
def handler(event, context):
    params = query(event)
    event_id = require_event_id(params, settings().event_id)
    raw_limit = params.get("limit", str(DEFAULT_LIMIT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise HttpError(400, f"limit must be an integer from 1 to {MAX_LIMIT}")
    generation = EventCounters(event_id).generation()
    try:
        request_ids, cursor = expired_token_page(
            event_id, generation, now_s=int(time.time()), limit=int(raw_limit), cursor=params.get("cursor")
        )
    except BadCursor as error:
        raise HttpError(400, str(error)) from error
    return response(200, request_ids, {NEXT_CURSOR_HEADER: cursor} if cursor else None)
