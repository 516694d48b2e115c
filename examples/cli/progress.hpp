// Live progress of orchestrator operations: a redrawn table of workloads on a terminal,
// plain event lines otherwise (pipes, CI logs).
#pragma once

#include <meshorch/state.hpp>

#include <cstdio>
#include <map>
#include <mutex>
#include <string>

namespace meshorch::cli {

class ProgressView {
public:
    // live: redraw a table in place (stdout is a terminal); otherwise one line per event.
    explicit ProgressView(bool live, std::FILE* out = stdout);
    void on_event(const Event& event);  // thread-safe
    // Ends the live table (the next output starts below it).
    void finish();

private:
    void redraw_locked();

    bool live_;
    std::FILE* out_;
    std::mutex mutex_;
    std::string operation_line_;
    std::map<WorkloadId, std::string> workloads_;
    int drawn_lines_ = 0;
};

// True when stdout is a terminal.
bool stdout_is_terminal();

}  // namespace meshorch::cli
