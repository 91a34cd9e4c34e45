"""Path parameters the desk's routes share."""

from typing import Annotated

from fastapi import Path as PathPart

#: a row id in a URL: bounded to the database's integer, so a huge number is a 422, not a crash
RowId = Annotated[int, PathPart(ge=1, le=2**31 - 1)]
