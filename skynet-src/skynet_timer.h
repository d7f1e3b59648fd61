/* skynet_timer.h: the timer wheel and the node's clocks.
 *
 * Time advances in ticks of 1/100 s. Timeouts live in a hierarchical wheel: 256
 * near slots and 4 levels of 64. timer_update reads the monotonic clock and runs
 * every tick that has passed since the last call, so a stalled timer thread catches
 * up instead of dropping ticks. Expiries are handed to the callback given at init. */
#ifndef SKYNET_TIMER_H
#define SKYNET_TIMER_H

#include <stdint.h>

typedef void (*timer_expire_fn)(uint32_t handle, int session);

void timer_init(timer_expire_fn expire);
void timer_exit(void);

/* time is in ticks (centiseconds). time <= 0 calls expire at once, on the caller's
 * thread. Returns session. */
int timer_add(uint32_t handle, int time, int session);
/* Advances to the current clock, firing what expired. Called by the timer thread. */
void timer_update(void);
/* Runs exactly n ticks regardless of the clock (tests, catch-up). */
void timer_advance(uint32_t n);
/* Number of timeouts waiting in the wheel. */
int timer_pending(void);

uint64_t timer_now(void);        /* centiseconds since timer_init */
uint32_t timer_starttime(void);  /* wall clock seconds at timer_init */
uint64_t timer_hpc(void);        /* monotonic nanoseconds, high resolution */
uint64_t timer_thread_time(void); /* CPU time of the calling thread, microseconds */

#endif
