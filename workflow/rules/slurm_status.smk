# A cancelled SLURM job must reach Snakemake as failed, so that the profile's `retries`
# resubmits it. snakemake-executor-plugin-slurm (2.8.0, the newest release) reads job
# states with `sacct --format=JobIdRaw,State`, which prints a job cancelled by a user as
# "CANCELLED by <uid>"; the plugin compares states with "CANCELLED" exactly, so it takes
# such a job for one still running and the workflow waits forever (docs/CLUSTER.md). The
# same bug was fixed in the older Snakemake-Profiles/slurm status script (its PR #22).
# Here the plugin's status query is wrapped once, in Snakemake's own process, so that a
# state's " by <uid>" suffix is dropped before the plugin looks at it; nothing else about
# the plugin changes, and without the plugin installed this does nothing.
import importlib.util as _importlib_util

if _importlib_util.find_spec("snakemake_executor_plugin_slurm") is not None:
    import snakemake_executor_plugin_slurm as _slurm_plugin

    def _state_without_actor(state):
        """A state without sacct's "by <uid>" (CANCELLED by 0 -> CANCELLED); others unchanged."""
        return state.split(" by ", 1)[0] if state.startswith("CANCELLED") else state

    def _wrap_status_query(query):
        async def query_job_status(command, logger):
            states, seconds = await query(command, logger)
            if states is not None:
                states = {job_id: _state_without_actor(state) for job_id, state in states.items()}
            return states, seconds

        query_job_status.nnbench_wrapped = True
        return query_job_status

    if not getattr(_slurm_plugin.query_job_status, "nnbench_wrapped", False):
        _slurm_plugin.query_job_status = _wrap_status_query(_slurm_plugin.query_job_status)
