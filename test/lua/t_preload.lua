-- t_preload: the `preload` file of test_launcher's config. It runs before
-- every service's own file, with the service's launch arguments.
PRELOADED = { name = SERVICE_NAME, args = select("#", ...) }
