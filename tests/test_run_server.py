"""``edgesim.run_server`` from plain unittest, as a user outside pytest writes it."""

from __future__ import annotations

import unittest
import urllib.request

import edgesim
from edgesim.inprocess import EdgesimError


class RunServerTest(unittest.TestCase):
    def setUp(self) -> None:
        self.sim = self.enterContext(edgesim.run_server(seed=7, nodes=4))

    def test_serves_the_ief_api_with_the_credentials_it_gives(self) -> None:
        request = urllib.request.Request(f"{self.sim.url}/v2/{self.sim.project_id}/edgemgr/nodes",
                                         headers={"X-Auth-Token": self.sim.token})
        with urllib.request.urlopen(request) as answer:
            self.assertEqual(answer.status, 200)
        signed = edgesim.inprocess.Client(self.sim.url, ak=self.sim.ak, sk=self.sim.sk, project_id=self.sim.project_id)
        self.assertEqual(signed.ief("GET", "nodes")["count"], 4)

    def test_advance_wait_for_inject_and_events(self) -> None:
        group = self.sim.create_group("site", nodes=2)
        self.assertEqual(len(group["nodes"]), 2)
        body = {"name": "web", "group_id": group["id"], "deployment": {"replicas": 2, "template": {
            "configs": {"restart_policy": "Always"}, "containers": [{"name": "web", "image_url": "nginx"}]}}}
        dep = self.sim.client.ief("POST", "deployments", body, version="v3")

        def web_ready():
            return self.sim.client.ief("GET", f"deployments/{dep['id']}")["deployment"]["ready_replicas"] == 2

        self.assertTrue(self.sim.wait_for(web_ready, timeout=60))
        self.assertLessEqual(self.sim.now(), 60)
        fault = self.sim.inject(kind="node_crash", target={"group_id": group["id"]}, duration=600)
        self.assertEqual([e["fault_id"] for e in self.sim.events(kind="fault.started")], [fault])
        self.sim.advance(60)  # the nodes are lost (FAIL) 40 s after they fall silent
        with self.assertRaises(EdgesimError) as failed:
            self.sim.wait_for(web_ready, timeout=30)
        message = str(failed.exception)
        self.assertIn("web_ready still false after 30 simulated seconds", message)
        self.assertIn("web 0/2 ready", message)
        self.assertIn("node_crash active", message)
        self.assertEqual(self.sim.advance(10), self.sim.now())

    def test_events_refuses_unknown_filters_and_errors_name_the_answer(self) -> None:
        with self.assertRaisesRegex(TypeError, "unknown filter\\(s\\) deployment"):
            self.sim.events(deployment="web")
        with self.assertRaisesRegex(EdgesimError, "400 EDGESIM.0400"):
            self.sim.inject(kind="meteor_strike", target={})

    def test_same_seed_same_world(self) -> None:
        with edgesim.run_server(seed=7, nodes=4) as other:
            self.assertEqual(other.events(kind="node.registered"), self.sim.events(kind="node.registered"))
