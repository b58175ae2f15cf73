package jobs

// Wake runs a job as its cron wake-up does (once per tick of its schedule), for the tests.
func (e *Engine) Wake(name string) { e.wake(e.jobs[name], true) }
