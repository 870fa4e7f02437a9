package evalws

import (
	"fmt"
	"testing"

	"github.com/seed94f0f622/verso/demo/modelserver"
)

func TestScratch(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	f := newForm(e.c, "greet", []int{1, 2}, "")
	d := screenDriver(t, f)
	d.run(f.Init())
	fmt.Println(f.est, f.estErr, f.picked)
	f.SetSize(80, 24)
	fmt.Println(f.View())
	d.send(press("enter"))
	fmt.Println(d.other)
	rep := d.other[len(d.other)-1].(interface{}).(interface{})
	_ = rep
}
