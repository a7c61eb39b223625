package tick_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/roomcast/roomcast/tick"
)

// A room goroutine selects on its inbox, its schedule and its context in
// one goroutine; the schedule decides when steps run.
func ExampleSchedule() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inbox := make(chan string, 8)
	inbox <- "join alice"

	s, err := tick.Loop{Rate: 50, MaxCatchUp: 3}.Start()
	if err != nil {
		panic(err)
	}
	defer s.Stop()

	var pending []string
	step := func(st tick.Step) error {
		fmt.Printf("step %d dt=%v\n", st.N, st.DT)
		pending = pending[:0] // apply the inputs gathered since the last step
		if st.N == 2 {
			return errGameOver // ends RunDue at once, catch-up steps included
		}
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			fmt.Println("stopped:", s.Stats().Steps, "steps")
			return
		case msg := <-inbox:
			pending = append(pending, msg)
		case <-s.C():
			switch err := s.RunDue(step); {
			case errors.Is(err, errGameOver):
				fmt.Println("game over:", s.Stats().Steps, "steps")
				return
			case err != nil:
				fmt.Println(err)
				return
			}
		}
	}
	// Output:
	// step 0 dt=20ms
	// step 1 dt=20ms
	// step 2 dt=20ms
	// game over: 3 steps
}

// errGameOver is ExampleSchedule's way for a step to end the loop.
var errGameOver = errors.New("game over")

func ExampleLoop_Run() {
	loop := tick.Loop{
		Rate: 20,
		Observer: tick.ObserverFuncs{OnStep: func(s tick.StepStats) {
			// e.g. latenessHistogram.Observe(s.Lateness.Seconds())
		}},
	}
	stop := errors.New("done")
	err := loop.Run(context.Background(), func(st tick.Step) error {
		if st.N == 3 {
			return stop
		}
		return nil
	})
	fmt.Println(errors.Is(err, stop), err)
	// Output:
	// true tick: step 3: done
}
