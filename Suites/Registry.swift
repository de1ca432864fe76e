// The list of suites the runner knows. Add a suite by defining it in a file
// under Suites/<category>/ (e.g. `package let streamContract = Suite(...)`)
// and listing it here. Self-test fixtures never go here.
import Assay

package enum Registry {
    package static let suites: [Suite] = [
        streamContractSuite,
        datagramSuite,
        tlsSuite,
        tlsSessionsSuite,
        tlsHostileSuite,
        tlsOCSPSuite,
        tlsVerificationHooksSuite,
        tlsRenegotiationSuite,
        tlsMatrixSuite,
        tlsDefaultsSuite,
        regressionSuite,
        regressionLifetimeSuite,
        netHardeningSuite,
        errorTextSuite,
        openSSLSuite,
        gnuTLSSuite,
        pythonSSLSuite,
        nodeTLSSuite,
        curlSuite,
        examplesSuite,
        keyLogSuite,
        remoteParticipantsSuite,
        perf9Suite,
        perf9SmokeSuite,
        coordinationBenchmarkSuite,
        tlsEngineCoverageSuite,
        cryptoPrimitivesSuite,
        cryptoKeysSuite,
        cryptoPKISuite,
        cryptoSupportSuite,
        dtlsSuite,
        dtlsOpenSSLSuite,
        dtlsGnuTLSSuite,
    ]
}
