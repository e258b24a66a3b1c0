"""The course on The Littlest JupyterHub: copy to /opt/tljh/config/jupyterhub_config.d/
and run `sudo tljh-config reload` (README, "Teaching a class").

TLJH already gives each student a system user jupyter-<name> with a private home and
runs their server as a systemd unit with the limits from config.yaml. This adds the
course: a copy of the notebooks in ~/notebooks (never overwriting edits), a model cache
per student (~/.cache/dl-course) and the shared data dir, read-only.
"""
c = get_config()  # noqa: F821

COURSE = "/srv/dl-course"           # a clone of the course (read-only for students)
DATA = "/srv/data/dl-course"        # full MNIST + Tiny Shakespeare, owned by root, mode 755/644
USER_ENV = "/opt/tljh/user/bin"     # TLJH's user environment, with requirements.txt installed

c.Spawner.cmd = [f"{USER_ENV}/python", f"{COURSE}/hub/student_start.py", f"{USER_ENV}/jupyterhub-singleuser"]
c.Spawner.environment = {
    "COURSE_NOTEBOOKS": f"{COURSE}/notebooks",
    "COURSE_DATA_DIR": DATA,
    # COURSE_CACHE_DIR: student_start.py sets ~/.cache/dl-course for each student and copies
    # into it the models trained once by the instructor (README, "Sizing a class server")
    "COURSE_CACHE_SEED": "/srv/dl-course-cache",
    "OMP_NUM_THREADS": "1",          # match limits.cpu in config.yaml
    "OPENBLAS_NUM_THREADS": "1",
}
c.Spawner.default_url = "/lab/tree/notebooks"
# systemd mounts the data dir read-only in every student's unit, whatever its permissions
c.SystemdSpawner.readonly_paths = [DATA]
c.SystemdSpawner.isolate_tmp = True
