//! Criterion benchmarks of the pipeline's stages (load, resolve, render) and of its hot inner
//! functions, on the shipped wiki or on any wiki named by `REFWIKI_BENCH_WIKI` (for example a
//! synthetic one from `cargo run --release --example synth -- --entities 1000 /dev/shm/s1k`).
//!
//!     cargo bench --bench stages
//!     REFWIKI_BENCH_WIKI=/dev/shm/s1k cargo bench --bench stages
//!
//! Whole-process figures, peers and serve latency are measured by `bench/run.sh`.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};

// The allocator the binary uses, so allocation-heavy stages cost what they cost in `refwiki`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn wiki_root() -> PathBuf {
    std::env::var_os("REFWIKI_BENCH_WIKI")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

fn stages(c: &mut Criterion) {
    let root = wiki_root();
    let mut g = c.benchmark_group("stages");
    g.sample_size(10);
    g.bench_function("load", |b| {
        b.iter(|| refwiki::load::load(&root, None).expect("loads"))
    });
    let (corpus, _) = refwiki::load::load(&root, None).expect("loads");
    g.bench_function("resolve", |b| {
        b.iter(|| refwiki::resolve::resolve(corpus.clone()))
    });
    let (wiki, _) = refwiki::resolve::resolve(corpus.clone());
    let tera = refwiki::render::templates::load(&root).expect("templates");
    g.bench_function("render", |b| {
        b.iter(|| refwiki::render::render(&wiki, &tera).expect("renders"))
    });
    // `serve`'s resolution after a title change: the cache holds the previous name set, so
    // alternating between two titles measures the re-resolution each save of a retitle costs.
    let mut retitled = corpus.clone();
    let middle = retitled.entities.len() / 2;
    if let Some(e) = retitled.entities.get_mut(middle) {
        let mut page = (**e).clone();
        page.title.push_str(" (retitled)");
        *e = std::sync::Arc::new(page);
    }
    let mut cache = refwiki::resolve::ResolveCache::keeping_folded_texts();
    refwiki::resolve::resolve_with(corpus.clone(), &mut cache);
    let mut flip = false;
    g.bench_function("resolve (title change, serve cache)", |b| {
        b.iter(|| {
            flip = !flip;
            let c = if flip { &retitled } else { &corpus };
            refwiki::resolve::resolve_with(c.clone(), &mut cache)
        })
    });
    g.finish();

    let body = wiki
        .entities
        .iter()
        .map(|e| e.page.body())
        .max_by_key(|b| b.len())
        .unwrap_or("")
        .to_string();
    c.bench_function("markdown::render (longest body)", |b| {
        b.iter(|| refwiki::markdown::render(&body, &refwiki::testing::AnyResolver))
    });
    let pages: Vec<&refwiki::load::EntityPage> = wiki.entities.iter().map(|e| &*e.page).collect();
    let matcher = refwiki::resolve::mentions::Matcher::new(&pages);
    let passages: Vec<&refwiki::load::Passage> = wiki
        .sources
        .iter()
        .flat_map(|s| s.source.passages.iter())
        .collect();
    c.bench_function("mentions (every passage)", |b| {
        b.iter(|| {
            passages
                .iter()
                .map(|p| matcher.find(p).len())
                .sum::<usize>()
        })
    });
}

criterion_group!(benches, stages);
criterion_main!(benches);
