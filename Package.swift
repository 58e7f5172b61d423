// swift-tools-version:5.9
// The SwiftPM build of the DMMS core, for `swift test`. The shipped library
// (build/lib/libdmms.so) is the same sources compiled in Embedded Swift mode
// by the Makefile.
import PackageDescription

let package = Package(
    name: "DMMS",
    products: [.library(name: "DMMS", targets: ["DMMS"])],
    targets: [
        .systemLibrary(name: "CDMMS", path: "Sources/CDMMS"),
        .target(
            name: "DMMS",
            dependencies: ["CDMMS"],
            // The core's internal checks are on in the tests (InternalChecks.swift).
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"]), .define("DMMS_INTERNAL_CHECKS")]
        ),
        .testTarget(name: "DMMSTests", dependencies: ["DMMS", "CDMMS"]),
    ],
    swiftLanguageVersions: [.v5]
)
