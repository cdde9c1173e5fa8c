package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"sync"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The axe-core file the accessibility specs inject, pinned by version and hash (see
// testdata/axe-core/README.md).
const (
	axeFile    = "testdata/axe-core/axe.min.js"
	axeVersion = "4.14.1"
	axeSHA256  = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
)

// axeSource reads the pinned axe-core once, checking that it is the file its README names.
var axeSource = sync.OnceValues(func() (string, error) {
	data, err := os.ReadFile(axeFile)
	if err != nil {
		return "", err
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != axeSHA256 {
		return "", errAxeChanged
	}
	return string(data), nil
})

type axeError string

func (e axeError) Error() string { return string(e) }

const errAxeChanged = axeError(axeFile + " is not the pinned axe-core " + axeVersion + ": its sha256 differs")

// viewport is a browser window size the specs look at the portal in.
type viewport struct {
	name          string
	width, height int64
	mobile        bool // a phone: the mobile viewport, touch, and the smallest touch targets checked
}

var (
	phone   = viewport{name: "phone", width: 390, height: 844, mobile: true}
	desktop = viewport{name: "desktop", width: 1440, height: 900}
)

// emulate sizes the page like vp and sets the colour scheme it prefers.
func emulate(ctx context.Context, vp viewport, dark bool) {
	GinkgoHelper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if vp.mobile {
		opts = append(opts, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	step(ctx,
		chromedp.EmulateViewport(vp.width, vp.height, opts...),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
			})
			return err
		}),
	)
	isDark, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`matchMedia("(prefers-color-scheme: dark)").matches`))
	Expect(err).NotTo(HaveOccurred())
	Expect(isDark).To(Equal(dark))
}

// layoutReport is what checkLayout measures in the page.
type layoutReport struct {
	InnerWidth  float64  `json:"innerWidth"`
	ScrollWidth float64  `json:"scrollWidth"`
	Overflowing []string `json:"overflowing"` // visible elements that reach past the window's edges
	SmallTarget []string `json:"smallTarget"` // controls smaller than 44×44 px
}

// layoutProbe measures the page: whether anything is wider than the window, and the size of
// every control a finger has to hit (a checkbox counts with its label).
const layoutProbe = `(() => {
	const name = (el) => el.tagName.toLowerCase() + (el.dataset.testid ? '[' + el.dataset.testid + ']' : '') +
		(el.id ? '#' + el.id : '') + ' "' + (el.textContent || el.value || '').trim().slice(0, 30) + '"';
	const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
		return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !el.closest('.visually-hidden, dialog:not([open])'); };
	const w = window.innerWidth;
	const overflowing = [...document.querySelectorAll('body *')].filter(visible).filter((el) => {
		const r = el.getBoundingClientRect(); return r.right > w + 0.5 || r.left < -0.5; }).map(name);
	const smallTarget = [...document.querySelectorAll('button, a.button, .topbar a, input:not([type=hidden]), select, textarea')]
		.filter(visible).map((el) => (el.type === 'checkbox' || el.type === 'radio') && el.closest('label') ? el.closest('label') : el)
		.filter((el) => { const r = el.getBoundingClientRect(); return r.width < 43.5 || r.height < 43.5; })
		.map((el) => name(el) + ' ' + Math.round(el.getBoundingClientRect().width) + 'x' + Math.round(el.getBoundingClientRect().height));
	return JSON.stringify({innerWidth: w, scrollWidth: document.documentElement.scrollWidth, overflowing, smallTarget});
})()`

// checkLayout asserts that nothing in the page is wider than vp and, on a phone, that every
// control is at least 44 px each way.
func checkLayout(ctx context.Context, vp viewport, page string) {
	GinkgoHelper()
	stepCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	raw, err := chromedp.Run(stepCtx, chromedp.Evaluate[string](layoutProbe))
	Expect(err).NotTo(HaveOccurred())
	var r layoutReport
	Expect(json.Unmarshal([]byte(raw), &r)).To(Succeed())
	Expect(r.InnerWidth).To(BeNumerically("==", vp.width), "%s: the page is zoomed out, so something is wider than the screen", page)
	Expect(r.ScrollWidth).To(BeNumerically("<=", r.InnerWidth), "%s: the page scrolls sideways", page)
	Expect(r.Overflowing).To(BeEmpty(), "%s: elements reach past the window's edge", page)
	if vp.mobile {
		Expect(r.SmallTarget).To(BeEmpty(), "%s: touch targets smaller than 44 px", page)
	}
}

// axeViolation is one rule axe-core found broken, with the first elements that break it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAccessibility runs the pinned axe-core in the page, with its default rules, and
// asserts it finds no violation.
func checkAccessibility(ctx context.Context, page string) {
	GinkgoHelper()
	src, err := axeSource()
	Expect(err).NotTo(HaveOccurred())
	stepCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	loaded, err := chromedp.Run(stepCtx, chromedp.Evaluate[string](src+"\n;typeof axe === 'object' ? axe.version : ''"))
	Expect(err).NotTo(HaveOccurred())
	Expect(loaded).To(Equal(axeVersion))
	raw, err := chromedp.Run(stepCtx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then((r) =>
		JSON.stringify(r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " " + (n.failureSummary || "").replace(/\s+/g, " "))}))))`,
		chromedp.EvalAwaitPromise))
	Expect(err).NotTo(HaveOccurred())
	var violations []axeViolation
	Expect(json.Unmarshal([]byte(raw), &violations)).To(Succeed())
	Expect(violations).To(BeEmpty(), "%s: axe-core %s found violations", page, axeVersion)
}

// checkPage checks the page now shown at vp, light and dark: its layout and axe-core, and
// keeps a screenshot of each for a person to look at.
func checkPage(ctx context.Context, vp viewport, page string) {
	GinkgoHelper()
	for _, dark := range []bool{false, true} {
		emulate(ctx, vp, dark)
		name := page + "-" + vp.name
		if dark {
			name += "-dark"
		}
		checkLayout(ctx, vp, name)
		checkAccessibility(ctx, name)
		screenshot(ctx, name)
	}
	emulate(ctx, vp, false)
}

// focusedJS describes the element that has the keyboard focus: its test id and the test id
// of the card around it, or "body".
const focusedJS = `(() => {
		const el = document.activeElement;
		if (!el || el === document.body) { return "body"; }
		const card = el.closest("article");
		return (card ? card.dataset.testid + " " : "") + (el.dataset.testid || el.tagName.toLowerCase());
	})()`

// focused describes the element that has the keyboard focus, as focusedJS does.
func focused(ctx context.Context) string {
	GinkgoHelper()
	stepCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(stepCtx, chromedp.Evaluate[string](focusedJS))
	Expect(err).NotTo(HaveOccurred())
	return s
}

// waitForFocus waits, at most 10 seconds, until focused describes want. A browser moves the
// focus to an autofocus element when it next renders a loaded page, a moment after the page
// shows it.
func waitForFocus(ctx context.Context, want string) {
	GinkgoHelper()
	Eventually(func() string { return focused(ctx) }).WithTimeout(10*time.Second).WithPolling(25*time.Millisecond).
		Should(Equal(want), "the focus lands on %s", want)
}

// watchSwaps records, for every service card swapped into the page, what has the focus (as
// focused describes it) once the task that swapped it ends: before the page handles anything
// else, such as the next key press. focusAtSwaps reads the record.
func watchSwaps(ctx context.Context) {
	GinkgoHelper()
	step(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		window.specFocusAtSwaps = [];
		new MutationObserver((records) => {
			if (records.some((r) => [...r.addedNodes].some((n) => n instanceof Element && n.matches("article")))) {
				window.specFocusAtSwaps.push(`+focusedJS+`);
			}
		}).observe(document.body, { childList: true, subtree: true });
	})()`))
}

// focusAtSwaps is what had the focus after each swap since watchSwaps.
func focusAtSwaps(ctx context.Context) []string {
	GinkgoHelper()
	stepCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(stepCtx, chromedp.Evaluate[[]string](`window.specFocusAtSwaps`))
	Expect(err).NotTo(HaveOccurred())
	return s
}

// pressKey sends one key to the focused element.
func pressKey(ctx context.Context, key string) {
	GinkgoHelper()
	step(ctx, chromedp.KeyEvent(key))
}

// grantClipboard lets the portal's page write to and read the clipboard without a prompt.
func grantClipboard(ctx context.Context, origin string) {
	GinkgoHelper()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:    cdpbrowser.PermissionSettingGranted, Origin: origin,
		})
		Expect(err).NotTo(HaveOccurred())
	}
}

// noScript turns JavaScript off in the page, as for a person browsing without it.
func noScript(ctx context.Context) {
	GinkgoHelper()
	step(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
}
