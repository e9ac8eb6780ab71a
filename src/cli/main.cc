// mxconform: conformance and fuzz-hardened reference for MTA-STS, TLS-RPT,
// SPF and DMARC. See README.md for the commands.
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  CLI::App app{
      "mxconform: a conformance test suite and reference for mail transport security "
      "(MTA-STS, TLS-RPT, SPF, DMARC)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mxconform 0.1.0");
  int rc = mxconform::cli::kExitOk;
  mxconform::cli::AddCheck(app, rc);
  mxconform::cli::AddRun(app, rc);
  mxconform::cli::AddLint(app, rc);
  mxconform::cli::AddBench(app, rc);
  mxconform::cli::AddEval(app, rc);
  mxconform::cli::AddLab(app, rc);
  mxconform::cli::AddList(app, rc);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return mxconform::cli::kExitUsage;
  } catch (const std::exception& e) {
    // Nothing should get here (src/ returns Result<T>; the commands catch
    // what the libraries under them throw), but an escape is a message
    // and exit 2, not std::terminate and a core dump.
    std::cerr << "mxconform: internal error: " << e.what() << "\n";
    return mxconform::cli::kExitUsage;
  }
  return rc;
}
