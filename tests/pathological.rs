//! Promise 7: pathological Markdown renders in time linear in its size.
//!
//! No absolute time limits (machines differ): each input is rendered at sizes n, 2n and 4n, and
//! the time must grow like the size. Each size is rendered a few times and the fastest time
//! kept, to see through other tests running at the same moment; a doubling may cost at most
//! 3x (linear is 2x, quadratic 4x). A measurement that fails is taken again at twice the size,
//! up to three times, before the test fails: noise and a cache's edge pass on a second try, a
//! quadratic algorithm never does.
//!
//! A test program of its own: cargo runs test programs one after another, so these timings are
//! never taken while the other tests resize photos on every core.

use std::time::Duration;

use knead::content::SourceText;
use knead::markdown::{Resolve, render};

/// Every `@/` link resolves, so link handling is measured too.
struct AllLinks;

impl Resolve for AllLinks {
    fn url_of(&self, content_path: &str) -> Option<String> {
        Some(format!("/{content_path}/"))
    }
}

/// The time this thread has spent on the CPU: unlike the wall clock, it does not count the
/// moments when other processes (other tests, other builds) had the CPU.
#[cfg(target_os = "linux")]
fn cpu_time() -> Duration {
    #[repr(C)]
    struct Timespec {
        tv_sec: std::ffi::c_long,
        tv_nsec: std::ffi::c_long,
    }
    const CLOCK_THREAD_CPUTIME_ID: std::ffi::c_int = 3;
    unsafe extern "C" {
        fn clock_gettime(clock: std::ffi::c_int, time: *mut Timespec) -> std::ffi::c_int;
    }
    let mut time = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `time` is a valid, writable timespec; the clock id is Linux's thread CPU clock.
    let result = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut time) };
    assert_eq!(result, 0, "the thread CPU clock is readable");
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
}

/// Elsewhere, the wall clock, and more noise.
#[cfg(not(target_os = "linux"))]
fn cpu_time() -> Duration {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// The fastest of a few renderings of `body`, in CPU time.
fn time_to_render(body: &str) -> Duration {
    let source = SourceText {
        file: "content/a.md".into(),
        text: body.into(),
        body_offset: 0,
    };
    (0..5)
        .map(|_| {
            let start = cpu_time();
            let rendered = render(&source, &AllLinks);
            let elapsed = cpu_time() - start;
            std::hint::black_box(rendered);
            elapsed
        })
        .min()
        .expect("five timings")
}

/// The larger of the two ratios t(2n)/t(n) and t(4n)/t(2n), sizes scaled by the actual
/// lengths so that generators need not be exact.
fn growth(make: &dyn Fn(usize) -> String, n: usize) -> f64 {
    let bodies: Vec<String> = [n, 2 * n, 4 * n].iter().map(|&k| make(k)).collect();
    let times: Vec<f64> = bodies
        .iter()
        .map(|b| time_to_render(b).as_secs_f64().max(1e-6))
        .collect();
    let lens: Vec<f64> = bodies.iter().map(|b| b.len() as f64).collect();
    let ratio = |i: usize| (times[i + 1] / times[i]) / (lens[i + 1] / lens[i]) * 2.0;
    ratio(0).max(ratio(1))
}

/// Asserts that rendering `make(n)` grows linearly with n, from a size that takes long enough
/// to measure.
#[track_caller]
fn assert_linear(name: &str, make: &dyn Fn(usize) -> String) {
    // Grow n until one rendering takes at least 2 ms (or the input is 2 MB).
    let mut n = 256;
    while time_to_render(&make(n)) < Duration::from_millis(2) && make(n).len() < 2_000_000 {
        n *= 2;
    }
    // Each try doubles n: a size at which the input outgrows a CPU cache costs more than twice
    // the half size (32,768 to 65,536 unclosed comments: 3.1x, then 1.9x, 2.1x, 2.0x...), once;
    // a quadratic algorithm costs 4x at every size.
    let mut tries = Vec::new();
    for _ in 0..3 {
        let g = growth(make, n);
        if g < 3.0 {
            return;
        }
        tries.push((n, g));
        n *= 2;
    }
    panic!("{name}: doubling the input multiplied the time by {tries:.2?} (n, ratio)");
}

macro_rules! linear {
    ($($name:ident: $make:expr;)*) => {
        $(
            #[test]
            fn $name() {
                assert_linear(stringify!($name), &$make);
            }
        )*
    };
}

linear! {
    nested_block_quotes: |n| format!("{}deep\n", "> ".repeat(n));
    nested_block_quotes_with_lists: |n| format!("{}deep\n", "> - ".repeat(n));
    nested_lists: |n| (0..n).map(|i| format!("{}- item\n", "  ".repeat(i % 200))).collect();
    run_of_stars: |n| "*".repeat(n);
    stars_and_words: |n| "*a **b ".repeat(n);
    unclosed_emphasis: |n| "*a ".repeat(n) + "\n";
    underscores: |n| "_a __b ".repeat(n);
    run_of_open_brackets: |n| "[".repeat(n);
    open_brackets_with_text: |n| "[a ".repeat(n);
    bracket_parenthesis: |n| "[a](".repeat(n);
    images_in_links: |n| "[![".repeat(n) + "x" + &"](y)]".repeat(n) + "(z)";
    run_of_backticks: |n| "`".repeat(n);
    backtick_runs_of_growing_length: |n| (1..n).map(|i| "`".repeat(i % 50) + "a").collect();
    run_of_less_than: |n| "<".repeat(n);
    unclosed_tags: |n| "<a ".repeat(n);
    unclosed_comments: |n| "<!--".repeat(n);
    unclosed_cdata: |n| "<![CDATA[".repeat(n);
    autolinks: |n| "<http://a.example/".repeat(n);
    link_reference_definitions: |n| (0..n).map(|i| format!("[r{i}]: /x{i}\n")).collect::<String>() + "[r1]";
    internal_links: |n| "[a](@/blog/post.md#x) ".repeat(n);
    footnotes: |n| (0..n).map(|i| format!("x[^{i}]\n\n[^{i}]: note\n\n")).collect();
    wide_table: |n| format!("{}|\n{}|\n{}|\n", "|a".repeat(n), "|-".repeat(n), "|1".repeat(n));
    many_headings: |n| (0..n).map(|i| format!("## Heading {i}\n\n")).collect();
    heading_attributes: |n| "# x {#".repeat(n);
    more_markers: |n| "<!-- more -->\n\n".repeat(n);
    entity_like_text: |n| "&#x1F600;&amp;&".repeat(n);
}

/// Headings with the same words get ids `tips`, `tips-1`, `tips-2`...: finding the next free
/// number must not walk through all the taken ones.
#[test]
fn identical_headings() {
    assert_linear("identical_headings", &|n| "## Tips\n\n".repeat(n));
}
