//! Line and bar charts drawn as plain SVG: no chart crate, no script and no inline styles, so they
//! fit the portals' strict Content-Security-Policy (colours come from `portal.css` classes). The
//! SVG scales with its container; the numbers are also given as text for screen readers.

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct ChartPoint {
    /// Shown under the x axis, e.g. a day.
    pub label: String,
    pub value: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    Line,
    Bar,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;
const GRID_LINES: usize = 4;

/// A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least `max`.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * magnitude)
        .find(|candidate| *candidate >= max)
        .unwrap_or(10.0 * magnitude)
}

struct Geometry {
    top: f64,
    step: f64,
}

impl Geometry {
    fn new(points: &[ChartPoint]) -> Self {
        let max = points.iter().map(|point| point.value).fold(0.0, f64::max);
        let plot_width = WIDTH - LEFT - RIGHT;
        Self {
            top: nice_max(max),
            step: plot_width / points.len().max(1) as f64,
        }
    }

    fn y(&self, value: f64) -> f64 {
        let plot_height = HEIGHT - TOP - BOTTOM;
        TOP + plot_height * (1.0 - (value / self.top).clamp(0.0, 1.0))
    }

    /// The centre of the slot of point `index`.
    fn x(&self, index: usize) -> f64 {
        LEFT + self.step * (index as f64 + 0.5)
    }
}

/// `id` lets tests find it; `format` turns axis values into text (e.g. `$0.12`).
#[component]
pub fn Chart(
    #[prop(into)] id: String,
    #[prop(into)] title: String,
    kind: ChartKind,
    #[prop(into)] points: Signal<Vec<ChartPoint>>,
    #[prop(default = |value| format!("{value}"))] format: fn(f64) -> String,
) -> impl IntoView {
    let summary = move || {
        points
            .get()
            .iter()
            .map(|point| format!("{}: {}", point.label, format(point.value)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let label = title.clone();
    view! {
        <figure class="chart" id=id>
            <figcaption>{title}</figcaption>
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                class="chart-svg"
                role="img"
                aria-label=move || format!("{label}. {}", summary())
            >
                {move || {
                    let points = points.get();
                    let geometry = Geometry::new(&points);
                    let grid = (0..=GRID_LINES)
                        .map(|line| {
                            let value = geometry.top * line as f64 / GRID_LINES as f64;
                            let y = geometry.y(value);
                            view! {
                                <line class="grid" x1=LEFT x2=WIDTH - RIGHT y1=y y2=y></line>
                                <text class="axis" x=LEFT - 6.0 y=y + 4.0 text-anchor="end">
                                    {format(value)}
                                </text>
                            }
                        })
                        .collect_view();
                    // At most ~6 x labels, so they never overlap at phone width.
                    let every = points.len().div_ceil(6).max(1);
                    let x_labels = points
                        .iter()
                        .enumerate()
                        .filter(|(index, _)| index % every == 0)
                        .map(|(index, point)| {
                            view! {
                                <text class="axis" x=geometry.x(index) y=HEIGHT - 8.0 text-anchor="middle">
                                    {point.label.clone()}
                                </text>
                            }
                        })
                        .collect_view();
                    let marks = match kind {
                        ChartKind::Bar => {
                            points
                                .iter()
                                .enumerate()
                                .map(|(index, point)| {
                                    let width = (geometry.step * 0.7).max(1.0);
                                    let y = geometry.y(point.value);
                                    view! {
                                        <rect
                                            class="bar"
                                            x=geometry.x(index) - width / 2.0
                                            y=y
                                            width=width
                                            height=(HEIGHT - BOTTOM - y).max(0.0)
                                        ></rect>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        }
                        ChartKind::Line => {
                            let path = points
                                .iter()
                                .enumerate()
                                .map(|(index, point)| {
                                    format!("{:.1},{:.1}", geometry.x(index), geometry.y(point.value))
                                })
                                .collect::<Vec<_>>()
                                .join(" ");
                            let dots = points
                                .iter()
                                .enumerate()
                                .map(|(index, point)| {
                                    view! {
                                        <circle
                                            class="dot"
                                            cx=geometry.x(index)
                                            cy=geometry.y(point.value)
                                            r="3"
                                        ></circle>
                                    }
                                })
                                .collect_view();
                            view! {
                                <polyline class="line" points=path></polyline>
                                {dots}
                            }
                                .into_any()
                        }
                    };
                    view! {
                        {grid}
                        {x_labels}
                        {marks}
                    }
                }}
            </svg>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::nice_max;

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(0.013), 0.02);
        assert_eq!(nice_max(120.0), 200.0);
        assert_eq!(nice_max(500.0), 500.0);
    }
}
