"""`docsites redis-clean JOB`: delete a finished distributed crawl's keys from Redis.

A distributed crawl (crawler/distributed.py) keeps its queue, seen-set, budgets and worker
registry under `docsites:<JOB>:…` after the workers close, so a stopped job can resume; once a job
is finished and merged they are only memory. The verb refuses while a worker of the job still has
a heartbeat or requests are left in the queue (the job is not finished), unless `--force`.
"""
from __future__ import annotations

import click

from docsites.cli import fail


def job_keys(client, job: str) -> list[bytes]:
    """Every key of `job` (SCAN, not KEYS: the server keeps answering the others)."""
    escaped = "".join(f"\\{c}" if c in "*?[]\\" else c for c in job)
    return sorted(client.scan_iter(match=f"docsites:{escaped}:*", count=1000))


@click.command()
@click.argument("job")
@click.option("--redis-url", envvar="REDIS_URL", default="redis://127.0.0.1:6379/0", show_default=True,
              help="the Redis the workers used (their REDIS_URL)")
@click.option("--force", is_flag=True, help="delete even while workers are alive or requests are queued")
@click.option("--dry-run", is_flag=True, help="list the keys, delete nothing")
def redis_clean(job, redis_url, force, dry_run):
    """Delete the Redis keys of distributed crawl JOB (its DISTRIBUTED_JOB): queue, seen-set,
    budgets, politeness slots and worker registry.

    \b
    Example:
        docsites redis-clean 2026-01-01 --redis-url redis://10.0.0.5:6379/0
    """
    try:
        import redis
    except ImportError:
        fail("redis-clean needs the redis client: pip install 'docsites[redis]'")
    from crawler.distributed import redis_keys
    client = redis.Redis.from_url(redis_url)
    try:
        keys = job_keys(client, job)
    except redis.RedisError as e:
        fail(f"{redis_url}: {e}")
    if not keys:
        click.echo(f"job {job!r}: no keys")
        return
    names = redis_keys(job)
    alive = [k for k in keys if k.decode().startswith(names["alive"])]
    queued = client.zcard(names["requests"])
    if (alive or queued) and not force:
        fail(f"job {job!r} is not finished: {len(alive)} workers alive, {queued} requests queued "
             "(wait for them, or --force)")
    for key in keys:
        click.echo(key.decode())
    if dry_run:
        click.echo(f"{len(keys)} keys of job {job!r} (dry run: nothing deleted)")
        return
    deleted = sum(client.delete(*keys[i:i + 500]) for i in range(0, len(keys), 500))
    click.echo(f"deleted {deleted} keys of job {job!r}")
