"""User families' kernel modules (``symlogit.userfamily``), imported as
``symlogit._user.<module>``: this package's path is the per-user cache folder
(``userfamily.cache_dir()``, and any folder a family was loaded from), so that another process
(a Dask worker) that unpickles a reference to a user family's kernels imports them by name."""

from ..userfamily import cache_dir

__path__ = [str(cache_dir())]
