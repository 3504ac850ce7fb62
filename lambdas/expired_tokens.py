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
    query_int,
    response,
)
from lambdas.waiting_room.records import BadCursor, expired_token_page
from lambdas.waiting_room.registry import require_event

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


@api_handler
def handler(event, context):
    params = query(event)
    event_id = require_event(params).event_id
    limit = query_int(params, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    generation = EventCounters(event_id).generation()
    try:
        request_ids, cursor = expired_token_page(
            event_id, generation, now_s=int(time.time()), limit=limit, cursor=params.get("cursor")
        )
    except BadCursor as error:
        raise HttpError(400, str(error)) from error
    return response(200, request_ids, {NEXT_CURSOR_HEADER: cursor} if cursor else None)
