package web_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/astrabastion/astra/testkit"
	"github.com/astrabastion/astra/web"
)

// TestConsole_Browser walks the console in headless Chromium: the sidebar
// lists a page per module the admin may read; each page loads its sections
// with their total counts; an agent created in the AEGIS form appears (and is
// in the API); one created through the API appears without a reload, from the
// live stream; a row opens its deep link; the back button works. A viewer
// sees no create form, and a write forced from the page's own code is refused
// by the API. Screenshots of every page are written to ASTRA_CONSOLE_SHOTS
// when set. Any console error fails the test.
func TestConsole_Browser(t *testing.T) {
	chrome := chromiumPath(t)
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	b := newBrowser(t, chrome)
	shots := os.Getenv("ASTRA_CONSOLE_SHOTS")
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if shots != "" {
			if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	signIn := func(email, password string) {
		t.Helper()
		b.do("open the console", chromedp.Navigate(in.URL+"/"), chromedp.WaitVisible("#login-form"))
		b.do("sign in", chromedp.SendKeys("#login-email", email), chromedp.SendKeys("#login-password", password),
			chromedp.Click("#login-submit"), chromedp.WaitVisible("#app-view"))
	}
	signIn(testkit.AdminEmail, testkit.AdminPassword)

	// The sidebar has the overview and a page per module, the same as the
	// server's deep-link routes.
	var links []string
	b.eval("sidebar", `[...document.querySelectorAll("#sidebar a[data-nav]")].map(a => a.getAttribute("href"))`, &links)
	want := []string{"/"}
	for _, p := range web.ConsolePages {
		want = append(want, "/"+p)
	}
	if strings.Join(links, " ") != strings.Join(want, " ") {
		t.Fatalf("sidebar %v, want %v", links, want)
	}

	// The accessibility audit: axe-core (npm, test only) is evaluated in each
	// page through DevTools, which the page's CSP does not govern.
	axe, err := os.ReadFile(filepath.Join(testkit.NodeProject(t, "web/a11y", "axe-core/axe.min.js"), "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	audit := func(page string) {
		t.Helper()
		var loaded bool
		b.eval("load axe", "(() => { if (!window.axe) { (0, eval)("+strconv.Quote(string(axe))+"); } return !!window.axe; })()", &loaded)
		var found []struct {
			ID      string `json:"id"`
			Impact  string `json:"impact"`
			Help    string `json:"help"`
			Targets []any  `json:"targets"`
		}
		b.eval("axe "+page, `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
			.then(r => r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map(n => n.target)})))`, &found)
		for _, v := range found {
			t.Errorf("accessibility on %s: %s (%s): %s at %v", page, v.ID, v.Impact, v.Help, v.Targets)
		}
	}
	audit("the overview")

	// Every page: its heading, each section's table loaded with its count.
	for _, p := range web.ConsolePages {
		b.do("open "+p, chromedp.Click(`#sidebar a[href="/`+p+`"]`))
		b.poll(p+" loaded", `location.pathname === "/`+p+`" && !document.querySelector("#console-page").hidden &&
			document.querySelector("#main").hidden &&
			document.querySelectorAll("#console-page section[data-section]").length > 0 &&
			[...document.querySelectorAll("#console-page section[data-section] .count")].every(c => / in all$/.test(c.textContent))`, 15*time.Second)
		var current string
		b.eval("current link", `document.querySelector("#sidebar a[aria-current=page]")?.getAttribute("href") || ""`, &current)
		if current != "/"+p {
			t.Errorf("on /%s the sidebar marks %q", p, current)
		}
		var errs []string
		b.eval("section errors", `[...document.querySelectorAll("#console-page .error:not([hidden])")].map(e => e.textContent)`, &errs)
		if len(errs) > 0 {
			t.Errorf("/%s shows errors: %v", p, errs)
		}
		shot("console-" + p)
		audit("/" + p)
	}

	// Create an agent in the AEGIS form; it is listed and it is in the API.
	b.do("AEGIS", chromedp.Click(`#sidebar a[href="/aegis"]`), chromedp.WaitVisible(`form[data-create=agents]`))
	b.do("fill the agent form",
		chromedp.SendKeys(`#new-agents-name`, "invoice-bot"),
		chromedp.SendKeys(`#new-agents-owner`, "finance@example.com"),
		chromedp.Click(`form[data-create=agents] button[type=submit]`))
	b.poll("the agent listed", `[...document.querySelectorAll("section[data-section=agents] tbody a")].some(a => a.textContent === "invoice-bot")`, 10*time.Second)
	var agents []struct{ ID, Name, Owner string }
	in.Do(t, http.MethodGet, "/api/v1/aegis/agents", admin, nil).Data(t, &agents)
	if len(agents) != 1 || agents[0].Name != "invoice-bot" || agents[0].Owner != "finance@example.com" {
		t.Fatalf("agents in the API: %+v", agents)
	}
	// An invalid form gets the API's problem, shown next to it.
	b.expected = append(b.expected, "status of 400 (Bad Request) ("+in.URL+"/api/v1/aegis/agents:")
	b.do("an agent without a name", chromedp.SendKeys(`#new-agents-name`, "   "), chromedp.Click(`form[data-create=agents] button[type=submit]`))
	b.poll("the problem shown", `!document.querySelector("form[data-create=agents] .error").hidden`, 10*time.Second)

	// One created through the API arrives from the live stream, no reload.
	if r := in.Do(t, http.MethodPost, "/api/v1/aegis/agents", admin, map[string]any{"name": "support-bot"}); r.Status != http.StatusCreated {
		t.Fatalf("create agent: %d %s", r.Status, r.Body)
	}
	b.poll("the live agent", `[...document.querySelectorAll("section[data-section=agents] tbody a")].some(a => a.textContent === "support-bot")`, 10*time.Second)

	// A row opens its deep link; the page draws the item; back returns.
	b.do("open the agent", chromedp.Click(`section[data-section=agents] tbody a`))
	b.poll("the agent page", `location.pathname.startsWith("/aegis/agents/") && document.querySelector("#console-page .detail") !== null`, 10*time.Second)
	var path string
	b.eval("deep link", `location.pathname`, &path)
	shot("console-aegis-agent")
	audit("an agent's page")
	b.do("reload the deep link", chromedp.Navigate(in.URL+path))
	b.poll("the agent page after a reload", `document.querySelector("#console-page .detail") !== null && document.querySelector(".page-title").textContent.startsWith("Agents: ")`, 15*time.Second)
	b.do("back", chromedp.NavigateBack())

	// A viewer: no create forms, and a write forced from the page's code is refused.
	b.do("log out", chromedp.Click("#logout"), chromedp.WaitVisible("#login-form"))
	in.NewUser(t, admin, "viewer@example.com", "viewer")
	signIn("viewer@example.com", testkit.UserPassword)
	var viewerLinks []string
	b.eval("viewer sidebar", `[...document.querySelectorAll("#sidebar a[data-nav]")].map(a => a.getAttribute("href"))`, &viewerLinks)
	for _, p := range web.ConsolePages {
		if !strings.Contains(" "+strings.Join(viewerLinks, " ")+" ", " /"+p+" ") {
			continue
		}
		b.do("viewer opens "+p, chromedp.Click(`#sidebar a[href="/`+p+`"]`))
		b.poll("viewer's "+p, `location.pathname === "/`+p+`" && document.querySelectorAll("#console-page section[data-section]").length > 0`, 15*time.Second)
		var forms int
		b.eval("forms", `document.querySelectorAll("#console-page form[data-create]").length`, &forms)
		if forms != 0 {
			t.Errorf("a viewer sees %d create forms on /%s", forms, p)
		}
	}
	b.expected = append(b.expected, "status of 403 (Forbidden) ("+in.URL+"/api/v1/aegis/agents:")
	var forced struct {
		Status int    `json:"status"`
		Code   string `json:"code"`
	}
	b.eval("forced write", `fetch("/api/v1/aegis/agents", {method: "POST", headers: {"Content-Type": "application/json",
		Authorization: "Bearer " + sessionStorage.getItem("astra.access_token")}, body: JSON.stringify({name: "sneaky"})})
		.then(async r => ({status: r.status, code: (await r.json()).error_code}))`, &forced)
	if forced.Status != http.StatusForbidden {
		t.Errorf("a viewer's forced write answered %+v", forced)
	}
	in.Do(t, http.MethodGet, "/api/v1/aegis/agents", admin, nil).Data(t, &agents)
	if len(agents) != 2 {
		t.Errorf("agents after the viewer's forced write: %d", len(agents))
	}
	b.finish(t)
	if shots != "" {
		fmt.Fprintf(os.Stderr, "console screenshots in %s\n", shots)
	}
}
