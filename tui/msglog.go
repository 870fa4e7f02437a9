package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/tui/common"
)

// maxLog is how many status messages the log keeps.
const maxLog = 200

// logEntry is one status message and when it was shown.
type logEntry struct {
	at  time.Time
	msg common.StatusMsg
}

// logView is the message log: the session's status messages, newest
// first, each whole (wrapped), as lazygit keeps its command log.
func (m *Model) logView() string {
	st := m.c.Styles
	lines := []string{st.Help.Title.Render("Messages of this session, newest first  (any key closes)"), ""}
	if len(m.log) == 0 {
		lines = append(lines, st.Muted.Render("no messages yet"))
	}
	w := max(m.width-11, 10)
	for i := len(m.log) - 1; i >= 0 && len(lines) < m.bodyHeight(); i-- {
		e := m.log[i]
		style := st.Text
		switch e.msg.Kind {
		case common.StatusSuccess:
			style = st.Success
		case common.StatusWarning:
			style = st.Warning
		case common.StatusError:
			style = st.Error
		}
		text := ansi.Wrap(common.CleanLine(e.msg.Text), w, " ")
		for j, l := range strings.Split(text, "\n") {
			stamp := strings.Repeat(" ", 9)
			if j == 0 {
				stamp = e.at.Format("15:04:05 ")
			}
			lines = append(lines, st.Muted.Render(" "+stamp)+style.Render(l))
		}
	}
	return common.Box(lines, m.width, m.bodyHeight())
}
